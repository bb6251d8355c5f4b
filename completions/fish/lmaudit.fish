complete -c lmaudit -l since -d 'Only changes on or after DATE (YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS], local time, or RFC 3339)' -r
complete -c lmaudit -l until -d 'Only changes on or before DATE (a day alone: up to its end)' -r
complete -c lmaudit -l kind -d 'Only these kinds of change (repeat, or separate with commas)' -r -f -a "release\t''
reread\t''
settings\t''
account\t''
shutdown\t''
token\t''
install\t''"
complete -c lmaudit -l by -d 'Only changes asked by ACCOUNT: host\\user, or user alone (any host); any case' -r
complete -c lmaudit -s f -d 'Only releases of this feature' -r
complete -c lmaudit -s c -d 'port@host, @host, https://host:port, a license file, a directory, or a list (default: CITRIX_LICENSE_FILE, LM_LICENSE_FILE, then the local server)' -r
complete -c lmaudit -s t -d 'Give up on a server that does not answer within this many seconds' -r
complete -c lmaudit -l token-file -d 'With -c https://…: the API token is in FILE, readable by you only (default: LMUTIL_TOKEN)' -r -F
complete -c lmaudit -l ca -d 'With -c https://…: trust the server\'s certificate if a CA of FILE (PEM) issued it for the host named' -r -F
complete -c lmaudit -l fingerprint -d 'With -c https://…: trust only the certificate with this SHA-256 fingerprint (default: the one recorded at the first connection, in the known-servers file or LMUTIL_KNOWN_SERVERS)' -r
complete -c lmaudit -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c lmaudit -s h -l help -d 'Print help'
