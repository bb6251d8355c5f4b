complete -c lmgrd -l config -d 'Config file (default: lmgrd.conf in the platform\'s config directory)' -r -F
complete -c lmgrd -l license-dir -d 'Directory of *.lic files and CITRIX.opt' -r -F
complete -c lmgrd -l keys-dir -d 'Directory of trusted vendor public keys (*.pub)' -r -F
complete -c lmgrd -l data-dir -d 'Directory of the state database and status file' -r -F
complete -c lmgrd -l socket -d 'Control socket for the local admin tools' -r -F
complete -c lmgrd -l log -d 'Debug log in FlexNet\'s format (default: DATA_DIR/debug.log)' -r -F
complete -c lmgrd -l lm-port -d 'License manager TCP port (0: any free port)' -r
complete -c lmgrd -l vendor-port -d 'CITRIX vendor daemon TCP port (0: any free port)' -r
complete -c lmgrd -l http-port -d 'HTTP port: Prometheus metrics at /metrics (0: any free port)' -r
complete -c lmgrd -l bind -d 'Address the TCP ports listen on' -r
complete -c lmgrd -l heartbeat-interval -d 'Seconds between product heartbeats' -r
complete -c lmgrd -l idle-timeout -d 'Close a connection silent this long (default: 3 heartbeat intervals)' -r
complete -c lmgrd -l frame-timeout -d 'Close a connection that takes longer to send a request or read an answer' -r
complete -c lmgrd -l max-connections -d 'Most connections served at once; more wait to be accepted' -r
complete -c lmgrd -s v -l version -d 'Print the version and exit'
complete -c lmgrd -l allow-lmdown -d 'Let an admin stop the server (or its vendor daemon) with lmdown'
complete -c lmgrd -s h -l help -d 'Print help (see more with \'--help\')'
