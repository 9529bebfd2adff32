"""Small repositories over the SQLite database, one per aggregate."""
