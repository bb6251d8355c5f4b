complete -c CtxManageUserAndGroup -l useradd -d 'Give an account or group a role' -r
complete -c CtxManageUserAndGroup -l userdel -d 'Take an account\'s or group\'s role away' -r
complete -c CtxManageUserAndGroup -l Role -d 'admin, user, adminGroup or userGroup' -r -f -a "admin\t''
user\t''
adminGroup\t''
userGroup\t''"
complete -c CtxManageUserAndGroup -s c -d 'port@host, @host, a license file, a directory, or a list (default: CITRIX_LICENSE_FILE, LM_LICENSE_FILE, then the local server)' -r
complete -c CtxManageUserAndGroup -s t -d 'Give up on a server that does not answer within this many seconds' -r
complete -c CtxManageUserAndGroup -l list -d 'List the accounts and groups with a role'
complete -c CtxManageUserAndGroup -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c CtxManageUserAndGroup -s h -l help -d 'Print help'
