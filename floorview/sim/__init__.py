"""A seeded, discrete-event contact-centre simulator that serves the Floor API v1.

``config.SimConfig`` describes a floor, ``engine.Simulator`` runs it, ``api.create_app``
serves it as an ASGI app and ``server`` runs that app with uvicorn. Nothing is imported
here, so that the command line can read ``config`` without loading NumPy or uvicorn.
"""
