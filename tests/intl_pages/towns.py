"""Twin-town block data that several tests post or clean."""

# Xindu: a cooperation that ended (2011–2020), no active exchange.
ENDED_TOWN = {
    "city": "Xindu District",
    "region": "Chengdu",
    "partner": "",
    "country": "Kina",
    "agreement": "Inget aktivt samarbetsavtal",
    "areas": [],
    "funding": ["Kommunerna"],
    "start_year": 2011,
    "end_year": 2020,
    "active": False,
    "latitude": None,
    "longitude": None,
}
