"""Pictures of a plan: a PNG of the routes (`plot`) and an interactive map along the roads
(`maps`)."""
