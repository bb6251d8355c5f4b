# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_lmutil_global_optspecs
    string join \n install-links= h/help V/version
end

function __fish_lmutil_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_lmutil_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_lmutil_using_subcommand
    set -l cmd (__fish_lmutil_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c lmutil -n "__fish_lmutil_needs_command" -l install-links -d 'Create a link named after each command in DIR, pointing to this binary' -r -F
complete -c lmutil -n "__fish_lmutil_needs_command" -s h -l help -d 'Print help'
complete -c lmutil -n "__fish_lmutil_needs_command" -s V -l version -d 'Print version'
complete -c lmutil -n "__fish_lmutil_needs_command" -f -a "lmstat" -d 'Show license server status: servers, vendor daemon, features, checkouts'
complete -c lmutil -n "__fish_lmutil_needs_command" -f -a "lmdiag" -d 'Diagnose license checkout problems, line by line'
complete -c lmutil -n "__fish_lmutil_needs_command" -f -a "lmreread" -d 'Make the server reread its license files and options file (admin, local)'
complete -c lmutil -n "__fish_lmutil_needs_command" -f -a "lminstall" -d 'Install a license file on the server, checked and signature-verified, then reread (admin)'
complete -c lmutil -n "__fish_lmutil_needs_command" -f -a "lmdown" -d 'Stop the license server or its vendor daemon (admin, local, when enabled)'
complete -c lmutil -n "__fish_lmutil_needs_command" -f -a "udadmin" -d 'User/device licenses: list, release, events, export'
complete -c lmutil -n "__fish_lmutil_needs_command" -f -a "CtxManageUserAndGroup" -d 'Manage who may administer the license server: add, remove, list accounts and groups'
complete -c lmutil -n "__fish_lmutil_needs_command" -f -a "lmaudit" -d 'Every change made to the server (releases, rereads, shutdowns, accounts, settings, tokens): when and who asked'
complete -c lmutil -n "__fish_lmutil_needs_command" -f -a "lmsettings" -d 'List the server\'s settings, or change them (administrators, on the server\'s host)'
complete -c lmutil -n "__fish_lmutil_needs_command" -f -a "lmhistory" -d 'The usage history: daily peaks, averages and overdraft per pool, as a table and a chart, JSON or CSV'
complete -c lmutil -n "__fish_lmutil_needs_command" -f -a "lmtoken" -d 'Create, list and revoke API tokens; print a console login URL (on the server\'s host)'
complete -c lmutil -n "__fish_lmutil_needs_command" -f -a "lmhostid" -d 'Print this host\'s IDs for binding license files'
complete -c lmutil -n "__fish_lmutil_needs_command" -f -a "lmver" -d 'Print the version of this tool or of a binary (lmgrd, lmutil, a FlexNet binary)'
complete -c lmutil -n "__fish_lmutil_needs_command" -f -a "lmcrypt" -d 'Vendor tool: make a signing key pair, sign license files, verify them'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmstat" -s c -d 'port@host, @host, https://host:port, a license file, a directory, or a list (default: CITRIX_LICENSE_FILE, LM_LICENSE_FILE, then the local server)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmstat" -s f -d 'Show who uses FEATURE (or every feature)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmstat" -s i -d 'Show the INCREMENT lines of the license files' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmstat" -s s -d 'Show the status of the license server(s)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmstat" -s S -d 'Show the features served by the vendor daemon' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmstat" -s t -d 'Give up on a server that does not answer within this many seconds' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmstat" -l token-file -d 'With -c https://…: the API token is in FILE, readable by you only (default: LMUTIL_TOKEN)' -r -F
complete -c lmutil -n "__fish_lmutil_using_subcommand lmstat" -l ca -d 'With -c https://…: trust the server\'s certificate if a CA of FILE (PEM) issued it for the host named' -r -F
complete -c lmutil -n "__fish_lmutil_using_subcommand lmstat" -l fingerprint -d 'With -c https://…: trust only the certificate with this SHA-256 fingerprint (default: the one recorded at the first connection, in the known-servers file or LMUTIL_KNOWN_SERVERS)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmstat" -s a -d 'Show everything'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmstat" -s v -d 'Print lmstat\'s version'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmstat" -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmstat" -s h -l help -d 'Print help'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmdiag" -s c -d 'port@host, @host, https://host:port, a license file, a directory, or a list (default: CITRIX_LICENSE_FILE, LM_LICENSE_FILE, then the local server)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmdiag" -s t -d 'Give up on a server that does not answer within this many seconds' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmdiag" -l token-file -d 'With -c https://…: the API token is in FILE, readable by you only (default: LMUTIL_TOKEN)' -r -F
complete -c lmutil -n "__fish_lmutil_using_subcommand lmdiag" -l ca -d 'With -c https://…: trust the server\'s certificate if a CA of FILE (PEM) issued it for the host named' -r -F
complete -c lmutil -n "__fish_lmutil_using_subcommand lmdiag" -l fingerprint -d 'With -c https://…: trust only the certificate with this SHA-256 fingerprint (default: the one recorded at the first connection, in the known-servers file or LMUTIL_KNOWN_SERVERS)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmdiag" -s n -d 'Never prompt'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmdiag" -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmdiag" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmreread" -s c -d 'port@host, @host, https://host:port, a license file, a directory, or a list (default: CITRIX_LICENSE_FILE, LM_LICENSE_FILE, then the local server)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmreread" -l vendor -d 'Reread for the vendor daemon, restarting it if lmdown -vendor stopped it' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmreread" -s t -d 'Give up on a server that does not answer within this many seconds' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmreread" -l token-file -d 'With -c https://…: the API token is in FILE, readable by you only (default: LMUTIL_TOKEN)' -r -F
complete -c lmutil -n "__fish_lmutil_using_subcommand lmreread" -l ca -d 'With -c https://…: trust the server\'s certificate if a CA of FILE (PEM) issued it for the host named' -r -F
complete -c lmutil -n "__fish_lmutil_using_subcommand lmreread" -l fingerprint -d 'With -c https://…: trust only the certificate with this SHA-256 fingerprint (default: the one recorded at the first connection, in the known-servers file or LMUTIL_KNOWN_SERVERS)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmreread" -l all -d 'Every server named by -c'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmreread" -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmreread" -s h -l help -d 'Print help'
complete -c lmutil -n "__fish_lmutil_using_subcommand lminstall" -s c -d 'port@host, @host, https://host:port, a license file, a directory, or a list (default: CITRIX_LICENSE_FILE, LM_LICENSE_FILE, then the local server)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lminstall" -s t -d 'Give up on a server that does not answer within this many seconds' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lminstall" -l token-file -d 'With -c https://…: the API token is in FILE, readable by you only (default: LMUTIL_TOKEN)' -r -F
complete -c lmutil -n "__fish_lmutil_using_subcommand lminstall" -l ca -d 'With -c https://…: trust the server\'s certificate if a CA of FILE (PEM) issued it for the host named' -r -F
complete -c lmutil -n "__fish_lmutil_using_subcommand lminstall" -l fingerprint -d 'With -c https://…: trust only the certificate with this SHA-256 fingerprint (default: the one recorded at the first connection, in the known-servers file or LMUTIL_KNOWN_SERVERS)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lminstall" -l replace -d 'Replace a file of that name on the server'
complete -c lmutil -n "__fish_lmutil_using_subcommand lminstall" -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c lmutil -n "__fish_lmutil_using_subcommand lminstall" -s h -l help -d 'Print help'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmdown" -s c -d 'port@host, @host, https://host:port, a license file, a directory, or a list (default: CITRIX_LICENSE_FILE, LM_LICENSE_FILE, then the local server)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmdown" -l vendor -d 'Stop only the vendor daemon; lmreread -vendor CITRIX restarts it' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmdown" -s t -d 'Give up on a server that does not answer within this many seconds' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmdown" -l token-file -d 'With -c https://…: the API token is in FILE, readable by you only (default: LMUTIL_TOKEN)' -r -F
complete -c lmutil -n "__fish_lmutil_using_subcommand lmdown" -l ca -d 'With -c https://…: trust the server\'s certificate if a CA of FILE (PEM) issued it for the host named' -r -F
complete -c lmutil -n "__fish_lmutil_using_subcommand lmdown" -l fingerprint -d 'With -c https://…: trust only the certificate with this SHA-256 fingerprint (default: the one recorded at the first connection, in the known-servers file or LMUTIL_KNOWN_SERVERS)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmdown" -s q -d 'Do not ask for confirmation'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmdown" -l all -d 'Every server named by -c'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmdown" -l force -d 'Accepted for compatibility: checkouts survive a restart, nothing needs forcing'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmdown" -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmdown" -s h -l help -d 'Print help'
complete -c lmutil -n "__fish_lmutil_using_subcommand udadmin" -s f -d 'Only this feature' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand udadmin" -l user -d 'The user to release' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand udadmin" -l device -d 'The device to release' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand udadmin" -s o -l output -d 'Write to FILE instead of standard output (-export shows its progress on a terminal)' -r -F
complete -c lmutil -n "__fish_lmutil_using_subcommand udadmin" -s c -d 'port@host, @host, https://host:port, a license file, a directory, or a list (default: CITRIX_LICENSE_FILE, LM_LICENSE_FILE, then the local server)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand udadmin" -s t -d 'Give up on a server that does not answer within this many seconds' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand udadmin" -l token-file -d 'With -c https://…: the API token is in FILE, readable by you only (default: LMUTIL_TOKEN)' -r -F
complete -c lmutil -n "__fish_lmutil_using_subcommand udadmin" -l ca -d 'With -c https://…: trust the server\'s certificate if a CA of FILE (PEM) issued it for the host named' -r -F
complete -c lmutil -n "__fish_lmutil_using_subcommand udadmin" -l fingerprint -d 'With -c https://…: trust only the certificate with this SHA-256 fingerprint (default: the one recorded at the first connection, in the known-servers file or LMUTIL_KNOWN_SERVERS)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand udadmin" -s a -d 'Every feature and version, with counts, users and devices'
complete -c lmutil -n "__fish_lmutil_using_subcommand udadmin" -l list -d 'Users and devices holding licenses'
complete -c lmutil -n "__fish_lmutil_using_subcommand udadmin" -l times -d 'With -list: when each was last used'
complete -c lmutil -n "__fish_lmutil_using_subcommand udadmin" -l delete -d 'Release the license of one user or device (admin)'
complete -c lmutil -n "__fish_lmutil_using_subcommand udadmin" -l events -d 'The user/device events, oldest first'
complete -c lmutil -n "__fish_lmutil_using_subcommand udadmin" -l export -d 'Every connection as CSV (feature,userId,deviceId,…)'
complete -c lmutil -n "__fish_lmutil_using_subcommand udadmin" -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c lmutil -n "__fish_lmutil_using_subcommand udadmin" -s h -l help -d 'Print help'
complete -c lmutil -n "__fish_lmutil_using_subcommand CtxManageUserAndGroup" -l useradd -d 'Give an account or group a role' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand CtxManageUserAndGroup" -l userdel -d 'Take an account\'s or group\'s role away' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand CtxManageUserAndGroup" -l Role -d 'admin, user, adminGroup or userGroup' -r -f -a "admin\t''
user\t''
adminGroup\t''
userGroup\t''"
complete -c lmutil -n "__fish_lmutil_using_subcommand CtxManageUserAndGroup" -s c -d 'port@host, @host, https://host:port, a license file, a directory, or a list (default: CITRIX_LICENSE_FILE, LM_LICENSE_FILE, then the local server)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand CtxManageUserAndGroup" -s t -d 'Give up on a server that does not answer within this many seconds' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand CtxManageUserAndGroup" -l token-file -d 'With -c https://…: the API token is in FILE, readable by you only (default: LMUTIL_TOKEN)' -r -F
complete -c lmutil -n "__fish_lmutil_using_subcommand CtxManageUserAndGroup" -l ca -d 'With -c https://…: trust the server\'s certificate if a CA of FILE (PEM) issued it for the host named' -r -F
complete -c lmutil -n "__fish_lmutil_using_subcommand CtxManageUserAndGroup" -l fingerprint -d 'With -c https://…: trust only the certificate with this SHA-256 fingerprint (default: the one recorded at the first connection, in the known-servers file or LMUTIL_KNOWN_SERVERS)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand CtxManageUserAndGroup" -l list -d 'List the accounts and groups with a role'
complete -c lmutil -n "__fish_lmutil_using_subcommand CtxManageUserAndGroup" -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c lmutil -n "__fish_lmutil_using_subcommand CtxManageUserAndGroup" -s h -l help -d 'Print help'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmaudit" -l since -d 'Only changes on or after DATE (YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS], local time, or RFC 3339)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmaudit" -l until -d 'Only changes on or before DATE (a day alone: up to its end)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmaudit" -l kind -d 'Only these kinds of change (repeat, or separate with commas)' -r -f -a "release\t''
reread\t''
settings\t''
account\t''
shutdown\t''
token\t''
install\t''"
complete -c lmutil -n "__fish_lmutil_using_subcommand lmaudit" -l by -d 'Only changes asked by ACCOUNT: host\\user, or user alone (any host); any case' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmaudit" -s f -d 'Only releases of this feature' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmaudit" -s c -d 'port@host, @host, https://host:port, a license file, a directory, or a list (default: CITRIX_LICENSE_FILE, LM_LICENSE_FILE, then the local server)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmaudit" -s t -d 'Give up on a server that does not answer within this many seconds' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmaudit" -l token-file -d 'With -c https://…: the API token is in FILE, readable by you only (default: LMUTIL_TOKEN)' -r -F
complete -c lmutil -n "__fish_lmutil_using_subcommand lmaudit" -l ca -d 'With -c https://…: trust the server\'s certificate if a CA of FILE (PEM) issued it for the host named' -r -F
complete -c lmutil -n "__fish_lmutil_using_subcommand lmaudit" -l fingerprint -d 'With -c https://…: trust only the certificate with this SHA-256 fingerprint (default: the one recorded at the first connection, in the known-servers file or LMUTIL_KNOWN_SERVERS)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmaudit" -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmaudit" -s h -l help -d 'Print help'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmsettings" -l set -d 'Change settings, all of them or none (names in any case)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmsettings" -s c -d 'port@host, @host, https://host:port, a license file, a directory, or a list (default: CITRIX_LICENSE_FILE, LM_LICENSE_FILE, then the local server)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmsettings" -s t -d 'Give up on a server that does not answer within this many seconds' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmsettings" -l token-file -d 'With -c https://…: the API token is in FILE, readable by you only (default: LMUTIL_TOKEN)' -r -F
complete -c lmutil -n "__fish_lmutil_using_subcommand lmsettings" -l ca -d 'With -c https://…: trust the server\'s certificate if a CA of FILE (PEM) issued it for the host named' -r -F
complete -c lmutil -n "__fish_lmutil_using_subcommand lmsettings" -l fingerprint -d 'With -c https://…: trust only the certificate with this SHA-256 fingerprint (default: the one recorded at the first connection, in the known-servers file or LMUTIL_KNOWN_SERVERS)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmsettings" -l list -d 'List every setting with its value, default, values and what it does'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmsettings" -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmsettings" -s h -l help -d 'Print help'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmhistory" -s f -d 'Only this feature' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmhistory" -l version -d 'Only the pools of this css date (YYYY.MMDD)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmhistory" -l from -d 'From this day on (YYYY-MM-DD, UTC)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmhistory" -l to -d 'Up to this day (YYYY-MM-DD, UTC)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmhistory" -s o -l output -d 'Write to FILE instead of standard output (-export shows its progress on a terminal)' -r -F
complete -c lmutil -n "__fish_lmutil_using_subcommand lmhistory" -s c -d 'port@host, @host, https://host:port, a license file, a directory, or a list (default: CITRIX_LICENSE_FILE, LM_LICENSE_FILE, then the local server)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmhistory" -s t -d 'Give up on a server that does not answer within this many seconds' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmhistory" -l token-file -d 'With -c https://…: the API token is in FILE, readable by you only (default: LMUTIL_TOKEN)' -r -F
complete -c lmutil -n "__fish_lmutil_using_subcommand lmhistory" -l ca -d 'With -c https://…: trust the server\'s certificate if a CA of FILE (PEM) issued it for the host named' -r -F
complete -c lmutil -n "__fish_lmutil_using_subcommand lmhistory" -l fingerprint -d 'With -c https://…: trust only the certificate with this SHA-256 fingerprint (default: the one recorded at the first connection, in the known-servers file or LMUTIL_KNOWN_SERVERS)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmhistory" -l export -d 'The daily usage report as CSV (date,feature,cssDate,…; docs/history.md)'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmhistory" -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmhistory" -s h -l help -d 'Print help'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmtoken" -l create -d 'Create a token called NAME and print it (shown this once)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmtoken" -l account -d 'The account the token acts as (yours by default; another needs a role)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmtoken" -l expires -d 'Days until the token expires (never by default)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmtoken" -l revoke -d 'Revoke the token numbered ID, for good' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmtoken" -s c -d 'port@host, @host, https://host:port, a license file, a directory, or a list (default: CITRIX_LICENSE_FILE, LM_LICENSE_FILE, then the local server)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmtoken" -s t -d 'Give up on a server that does not answer within this many seconds' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmtoken" -l token-file -d 'With -c https://…: the API token is in FILE, readable by you only (default: LMUTIL_TOKEN)' -r -F
complete -c lmutil -n "__fish_lmutil_using_subcommand lmtoken" -l ca -d 'With -c https://…: trust the server\'s certificate if a CA of FILE (PEM) issued it for the host named' -r -F
complete -c lmutil -n "__fish_lmutil_using_subcommand lmtoken" -l fingerprint -d 'With -c https://…: trust only the certificate with this SHA-256 fingerprint (default: the one recorded at the first connection, in the known-servers file or LMUTIL_KNOWN_SERVERS)' -r
complete -c lmutil -n "__fish_lmutil_using_subcommand lmtoken" -l list -d 'List every token (never their secrets)'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmtoken" -l login -d 'Print a one-time URL that logs a browser into the console as you'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmtoken" -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmtoken" -s h -l help -d 'Print help'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmhostid" -l ether -d 'Ethernet (MAC) addresses of every interface (the default)'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmhostid" -l internet -d 'IPv4 addresses, as INTERNET=a.b.c.d'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmhostid" -l hostname -d 'The host name, as HOSTNAME=name (matched case-sensitively)'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmhostid" -s n -d 'Print only the ID, as written after HOSTID= in a license file'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmhostid" -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmhostid" -s h -l help -d 'Print help'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmver" -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmver" -s h -l help -d 'Print help'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmcrypt" -l genkey -d 'Write a new key pair: DIR/vendor.key (mode 0600) and DIR/vendor.pub' -r -F
complete -c lmutil -n "__fish_lmutil_using_subcommand lmcrypt" -l key -d 'Sign every feature line of FILE… in place with this private key' -r -F
complete -c lmutil -n "__fish_lmutil_using_subcommand lmcrypt" -l pub -d 'The public key to verify with: a .pub file, or a directory of them' -r -F
complete -c lmutil -n "__fish_lmutil_using_subcommand lmcrypt" -l verify -d 'Verify FILE… and report every line\'s fields and signature'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmcrypt" -l json -d 'Print JSON (the stable interface for scripts) instead of text'
complete -c lmutil -n "__fish_lmutil_using_subcommand lmcrypt" -s h -l help -d 'Print help'
