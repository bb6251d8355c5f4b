complete -c lmtoken -l create -d 'Create a token called NAME and print it (shown this once)' -r
complete -c lmtoken -l account -d 'The account the token acts as (yours by default; another needs a role)' -r
complete -c lmtoken -l expires -d 'Days until the token expires (never by default)' -r
complete -c lmtoken -l revoke -d 'Revoke the token numbered ID, for good' -r
complete -c lmtoken -s c -d 'port@host, @host, https://host:port, a license file, a directory, or a list (default: CITRIX_LICENSE_FILE, LM_LICENSE_FILE, then the local server)' -r
complete -c lmtoken -s t -d 'Give up on a server that does not answer within this many seconds' -r
complete -c lmtoken -l token-file -d 'With -c https://…: the API token is in FILE, readable by you only (default: LMUTIL_TOKEN)' -r -F
complete -c lmtoken -l ca -d 'With -c https://…: trust the server\'s certificate if a CA of FILE (PEM) issued it for the host named' -r -F
complete -c lmtoken -l fingerprint -d 'With -c https://…: trust only the certificate with this SHA-256 fingerprint (default: the one recorded at the first connection, in the known-servers file or LMUTIL_KNOWN_SERVERS)' -r
complete -c lmtoken -l list -d 'List every token (never their secrets)'
complete -c lmtoken -l login -d 'Print a one-time URL that logs a browser into the console as you'
complete -c lmtoken -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c lmtoken -s h -l help -d 'Print help'
