-- PostgreSQL twin of ../0005_cart_and_preferences.sql. The flags stay integers 0/1, as in
-- SQLite, so the models read the same values from both databases.

-- Which pizzas are vegetarian (the "vegetarian only" preference lists only those), and each
-- customer's preferences, which follow them to a new browser at login.
ALTER TABLE pizzas ADD COLUMN vegetarian integer NOT NULL DEFAULT 0 CHECK (vegetarian IN (0, 1));
UPDATE pizzas SET vegetarian = 1
 WHERE slug IN ('margherita', 'funghi', 'quattro-formaggi', 'vegetariana');

ALTER TABLE users ADD COLUMN preferred_size text
    CHECK (preferred_size IS NULL OR preferred_size IN ('small', 'medium', 'large'));
ALTER TABLE users ADD COLUMN vegetarian_only integer NOT NULL DEFAULT 0
    CHECK (vegetarian_only IN (0, 1));
