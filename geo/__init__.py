"""Geography: reading boundary files (boundaries.py) and their geometry (geometry.py); geo imports nothing
of the project but settings. Landing a boundary file is etl/boundaries.py's; the schematic demo geography
is demo/geography.py."""
