-- PostgreSQL twin of ../0002_seed_menu.sql. The opening menu. Prices in cents.

INSERT INTO pizzas (id, slug, name, description, position) VALUES
    (1, 'margherita', 'Margherita', 'Tomato, fior di latte, basil, olive oil.', 1),
    (2, 'pepperoni', 'Pepperoni', 'Tomato, mozzarella, spicy pepperoni.', 2),
    (3, 'funghi', 'Funghi', 'Tomato, mozzarella, roasted mushrooms, thyme.', 3),
    (4, 'quattro-formaggi', 'Quattro Formaggi', 'Mozzarella, gorgonzola, fontina, parmesan.', 4),
    (5, 'diavola', 'Diavola', 'Tomato, mozzarella, salame piccante, chilli.', 5),
    (6, 'vegetariana', 'Vegetariana', 'Tomato, mozzarella, peppers, courgette, red onion.', 6);

INSERT INTO pizza_prices (pizza_id, size, price_cents) VALUES
    (1, 'small', 800), (1, 'medium', 1050), (1, 'large', 1300),
    (2, 'small', 950), (2, 'medium', 1250), (2, 'large', 1550),
    (3, 'small', 900), (3, 'medium', 1200), (3, 'large', 1450),
    (4, 'small', 1050), (4, 'medium', 1350), (4, 'large', 1650),
    (5, 'small', 1000), (5, 'medium', 1300), (5, 'large', 1600),
    (6, 'small', 900), (6, 'medium', 1200), (6, 'large', 1450);

-- The ids above were given, not drawn: new pizzas continue after them, as in SQLite.
SELECT setval(pg_get_serial_sequence('pizzas', 'id'), max(id)) FROM pizzas;
