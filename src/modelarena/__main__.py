from modelarena.cli.main import main

main()
