"""The signed-in home (待我参与): what waits for a resident and what needs a moderator, gathered from each
capability's own queries. Nothing of it is stored; nothing imports it but the wiring."""
