from relaylog.cli import main

main()
