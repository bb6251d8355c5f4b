complete -c udadmin -s f -d 'Only this feature' -r
complete -c udadmin -l user -d 'The user to release' -r
complete -c udadmin -l device -d 'The device to release' -r
complete -c udadmin -s o -l output -d 'Write to FILE instead of standard output (-export shows its progress on a terminal)' -r -F
complete -c udadmin -s c -d 'port@host, @host, https://host:port, a license file, a directory, or a list (default: CITRIX_LICENSE_FILE, LM_LICENSE_FILE, then the local server)' -r
complete -c udadmin -s t -d 'Give up on a server that does not answer within this many seconds' -r
complete -c udadmin -l token-file -d 'With -c https://…: the API token is in FILE, readable by you only (default: LMUTIL_TOKEN)' -r -F
complete -c udadmin -l ca -d 'With -c https://…: trust the server\'s certificate if a CA of FILE (PEM) issued it for the host named' -r -F
complete -c udadmin -l fingerprint -d 'With -c https://…: trust only the certificate with this SHA-256 fingerprint (default: the one recorded at the first connection, in the known-servers file or LMUTIL_KNOWN_SERVERS)' -r
complete -c udadmin -s a -d 'Every feature and version, with counts, users and devices'
complete -c udadmin -l list -d 'Users and devices holding licenses'
complete -c udadmin -l times -d 'With -list: when each was last used'
complete -c udadmin -l delete -d 'Release the license of one user or device (admin)'
complete -c udadmin -l events -d 'The user/device events, oldest first'
complete -c udadmin -l export -d 'Every connection as CSV (feature,userId,deviceId,…)'
complete -c udadmin -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c udadmin -s h -l help -d 'Print help'
