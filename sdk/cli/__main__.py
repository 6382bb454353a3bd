"""`python -m artifactsdk.cli`: the `artifactsdk` command."""

from artifactsdk.cli import main

main()
