from voice_router.cli import main

main()
