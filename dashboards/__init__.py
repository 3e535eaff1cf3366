"""The Solara dashboard: explore one run, compare scenarios, see pathways, browse stored runs
and the calibration. Started by ``pathways app``; pages only call the model's public API."""
