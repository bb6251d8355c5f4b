complete -c lminstall -s c -d 'port@host, @host, https://host:port, a license file, a directory, or a list (default: CITRIX_LICENSE_FILE, LM_LICENSE_FILE, then the local server)' -r
complete -c lminstall -s t -d 'Give up on a server that does not answer within this many seconds' -r
complete -c lminstall -l token-file -d 'With -c https://…: the API token is in FILE, readable by you only (default: LMUTIL_TOKEN)' -r -F
complete -c lminstall -l ca -d 'With -c https://…: trust the server\'s certificate if a CA of FILE (PEM) issued it for the host named' -r -F
complete -c lminstall -l fingerprint -d 'With -c https://…: trust only the certificate with this SHA-256 fingerprint (default: the one recorded at the first connection, in the known-servers file or LMUTIL_KNOWN_SERVERS)' -r
complete -c lminstall -l replace -d 'Replace a file of that name on the server'
complete -c lminstall -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c lminstall -s h -l help -d 'Print help'
