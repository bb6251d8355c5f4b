complete -c lmstat -s c -d 'port@host, @host, https://host:port, a license file, a directory, or a list (default: CITRIX_LICENSE_FILE, LM_LICENSE_FILE, then the local server)' -r
complete -c lmstat -s f -d 'Show who uses FEATURE (or every feature)' -r
complete -c lmstat -s i -d 'Show the INCREMENT lines of the license files' -r
complete -c lmstat -s s -d 'Show the status of the license server(s)' -r
complete -c lmstat -s S -d 'Show the features served by the vendor daemon' -r
complete -c lmstat -s t -d 'Give up on a server that does not answer within this many seconds' -r
complete -c lmstat -l token-file -d 'With -c https://…: the API token is in FILE, readable by you only (default: LMUTIL_TOKEN)' -r -F
complete -c lmstat -l ca -d 'With -c https://…: trust the server\'s certificate if a CA of FILE (PEM) issued it for the host named' -r -F
complete -c lmstat -l fingerprint -d 'With -c https://…: trust only the certificate with this SHA-256 fingerprint (default: the one recorded at the first connection, in the known-servers file or LMUTIL_KNOWN_SERVERS)' -r
complete -c lmstat -s a -d 'Show everything'
complete -c lmstat -s v -d 'Print lmstat\'s version'
complete -c lmstat -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c lmstat -s h -l help -d 'Print help'
