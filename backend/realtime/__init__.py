"""Live events: the Socket.IO server, the event relay (database → rooms) and replay."""
