complete -c lmdown -s c -d 'port@host, @host, https://host:port, a license file, a directory, or a list (default: CITRIX_LICENSE_FILE, LM_LICENSE_FILE, then the local server)' -r
complete -c lmdown -l vendor -d 'Stop only the vendor daemon; lmreread -vendor CITRIX restarts it' -r
complete -c lmdown -s t -d 'Give up on a server that does not answer within this many seconds' -r
complete -c lmdown -l token-file -d 'With -c https://…: the API token is in FILE, readable by you only (default: LMUTIL_TOKEN)' -r -F
complete -c lmdown -l ca -d 'With -c https://…: trust the server\'s certificate if a CA of FILE (PEM) issued it for the host named' -r -F
complete -c lmdown -l fingerprint -d 'With -c https://…: trust only the certificate with this SHA-256 fingerprint (default: the one recorded at the first connection, in the known-servers file or LMUTIL_KNOWN_SERVERS)' -r
complete -c lmdown -s q -d 'Do not ask for confirmation'
complete -c lmdown -l all -d 'Every server named by -c'
complete -c lmdown -l force -d 'Accepted for compatibility: checkouts survive a restart, nothing needs forcing'
complete -c lmdown -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c lmdown -s h -l help -d 'Print help'
