"""One blueprint per part of the site; each module's routes share its URL prefix or topic."""
