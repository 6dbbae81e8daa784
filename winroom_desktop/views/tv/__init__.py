"""The TV kiosk's widgets: ``window.TvWindow`` composes them (header with clock, connection
state and promotion banner; live queue; animated leaderboard; team goals with the energy
glow; achievement stories; reconnect banner; overlay layer; night layer). All painted with
``QPainter`` at sizes from ``theme.Scale`` so the same code is sharp at 720p, 1080p and 4K.
"""
