complete -c CtxManageUserAndGroup -l useradd -d 'Give an account or group a role' -r
complete -c CtxManageUserAndGroup -l userdel -d 'Take an account\'s or group\'s role away' -r
complete -c CtxManageUserAndGroup -l Role -d 'admin, user, adminGroup or userGroup' -r -f -a "admin\t''
user\t''
adminGroup\t''
userGroup\t''"
complete -c CtxManageUserAndGroup -s c -d 'port@host, @host, https://host:port, a license file, a directory, or a list (default: CITRIX_LICENSE_FILE, LM_LICENSE_FILE, then the local server)' -r
complete -c CtxManageUserAndGroup -s t -d 'Give up on a server that does not answer within this many seconds' -r
complete -c CtxManageUserAndGroup -l token-file -d 'With -c https://…: the API token is in FILE, readable by you only (default: LMUTIL_TOKEN)' -r -F
complete -c CtxManageUserAndGroup -l ca -d 'With -c https://…: trust the server\'s certificate if a CA of FILE (PEM) issued it for the host named' -r -F
complete -c CtxManageUserAndGroup -l fingerprint -d 'With -c https://…: trust only the certificate with this SHA-256 fingerprint (default: the one recorded at the first connection, in the known-servers file or LMUTIL_KNOWN_SERVERS)' -r
complete -c CtxManageUserAndGroup -l list -d 'List the accounts and groups with a role'
complete -c CtxManageUserAndGroup -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c CtxManageUserAndGroup -s h -l help -d 'Print help'
