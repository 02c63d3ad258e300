// `kes server --help`: kept apart from server.ts so that help and the client commands do not load the server.
export const serverUsage = `Usage:
    kes server [options]

Options:
    --config <file>          Config file (TOML of the guide's era, or YAML).
    --addr <[ip]:port>       Listen address (default: the config's address).
    --root <identity>        Admin identity; "disabled" or "_" disables it (overrides the config).
    --mtls-auth verify|ignore  verify: client certificates must chain to tls.ca; ignore: any certificate.
    --auth on|off            Later spelling of --mtls-auth (on = verify, off = ignore).
    --key, --tls-key <file>  TLS private key (overrides the config).
    --cert, --tls-cert <file>  TLS certificate (overrides the config).
    --mlock                  Request memory locking (see README: not available to Node; warns).
    --dev                    In-memory keystore, fresh TLS certificate and admin identity.
    --log-level <level>      Error log level: trace, debug, info, warn, error (env KES_LOG_LEVEL;
                             default the config's log.error level, else info).
    --log-format <format>    standard (readable lines) or json (env KES_LOG_FORMAT).
    -q, --quiet              No startup banner.
`;
