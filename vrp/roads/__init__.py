"""Real roads: a local OSRM server (`osrm`), its distance and duration matrices (`matrix`), and
instances built on them (`city`)."""
