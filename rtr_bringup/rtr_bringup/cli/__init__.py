"""The ``rtr`` command: one subcommand module per concept (bag, sim, train, eval, demo)."""
