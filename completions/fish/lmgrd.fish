complete -c lmgrd -s v -l version -d 'Print the version and exit'
complete -c lmgrd -s h -l help -d 'Print help'
