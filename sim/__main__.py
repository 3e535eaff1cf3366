"""`python -m sim` runs the `pathways` command line."""

from sim.cli import main

main()
