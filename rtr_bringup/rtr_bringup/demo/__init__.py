"""``rtr demo``: the whole system in simulation (policy + chunk executor + simulator in one
process), every configuration of the comparison in closed loop, open-loop evaluation and a
report. Configuration: :mod:`.config`; stages: :mod:`.pipeline`."""
