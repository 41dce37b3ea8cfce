"""Dataclasses for the shop's rows and the SQL that reads and writes them.

Query functions take the connection first and are named after their SQL verb.
"""
