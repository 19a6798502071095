-- The demo "shop" database that the demo mesh routes to: what a developer's service would own.
-- Loaded by scripts/prepare.sh into dbmesh_demo (dbmesh_demo_test for tests) with
-- `psql -v ON_ERROR_STOP=1 -1 -f`. Running it again on the same database changes nothing.
-- Rows are pseudo-random but repeatable (setseed), so screenshots and tests see the same data.

SET client_min_messages = warning;
SELECT setseed(0.42);

CREATE SCHEMA IF NOT EXISTS audit;

CREATE TABLE IF NOT EXISTS public.customers (
  id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email            TEXT        NOT NULL UNIQUE,
  first_name       TEXT        NOT NULL,
  last_name        TEXT        NOT NULL,
  city             TEXT        NOT NULL,
  country          CHAR(2)     NOT NULL,
  marketing_opt_in BOOLEAN     NOT NULL DEFAULT false,
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.products (
  id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sku         TEXT        NOT NULL UNIQUE,
  name        TEXT        NOT NULL,
  category    TEXT        NOT NULL,
  price_cents INTEGER     NOT NULL CHECK (price_cents > 0),
  stock       INTEGER     NOT NULL DEFAULT 0 CHECK (stock >= 0),
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.orders (
  id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id BIGINT      NOT NULL REFERENCES public.customers (id),
  status      TEXT        NOT NULL CHECK (status IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded')),
  ordered_at  TIMESTAMPTZ NOT NULL,
  shipped_at  TIMESTAMPTZ,
  total_cents INTEGER     NOT NULL DEFAULT 0,
  CHECK (shipped_at IS NULL OR shipped_at >= ordered_at)
);

CREATE TABLE IF NOT EXISTS public.order_items (
  order_id         BIGINT  NOT NULL REFERENCES public.orders (id) ON DELETE CASCADE,
  product_id       BIGINT  NOT NULL REFERENCES public.products (id),
  quantity         INTEGER NOT NULL CHECK (quantity > 0),
  unit_price_cents INTEGER NOT NULL CHECK (unit_price_cents > 0),
  PRIMARY KEY (order_id, product_id)
);

CREATE TABLE IF NOT EXISTS audit.login_history (
  id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id  BIGINT      NOT NULL REFERENCES public.customers (id),
  logged_in_at TIMESTAMPTZ NOT NULL,
  ip           INET        NOT NULL,
  user_agent   TEXT        NOT NULL,
  success      BOOLEAN     NOT NULL
);

CREATE INDEX IF NOT EXISTS customers_country_city_idx ON public.customers (country, city);
CREATE INDEX IF NOT EXISTS products_category_idx ON public.products (category);
CREATE INDEX IF NOT EXISTS orders_customer_id_idx ON public.orders (customer_id, ordered_at DESC);
CREATE INDEX IF NOT EXISTS orders_status_idx ON public.orders (status) WHERE status IN ('pending', 'paid');
CREATE INDEX IF NOT EXISTS order_items_product_id_idx ON public.order_items (product_id);
CREATE INDEX IF NOT EXISTS login_history_customer_idx ON audit.login_history (customer_id, logged_in_at DESC);

-- Customers ------------------------------------------------------------------------------------
INSERT INTO public.customers (email, first_name, last_name, city, country, marketing_opt_in, created_at)
SELECT lower(translate(n.first_name || '.' || n.last_name, 'éèëöüäøñçåáíıóã ''', 'eeeouaoncaaiioa')) || g || '@' ||
         (ARRAY['example.com', 'example.org', 'example.net', 'mail.example'])[1 + g % 4],
       n.first_name, n.last_name, c.city, c.country, random() < 0.35,
       now() - make_interval(days => (random() * 900)::int, secs => (random() * 86400)::int)
FROM generate_series(1, 320) AS g
CROSS JOIN LATERAL (
  SELECT (ARRAY['Emma', 'Liam', 'Olivia', 'Noah', 'Ava', 'Lucas', 'Mia', 'Mateo', 'Sofia', 'Elias',
                'Hannah', 'Jonas', 'Léa', 'Hugo', 'Chloé', 'Louis', 'Giulia', 'Marco', 'Lucía', 'Pablo',
                'Sanne', 'Daan', 'Freya', 'Oskar', 'Ingrid', 'Mikael', 'Aiko', 'Kenji', 'Priya', 'Arjun',
                'Amara', 'Kwame', 'Zoë', 'Finn', 'Isabel', 'Tomás', 'Nora', 'Emil', 'Maja', 'Anton'])
           [1 + floor(random() * 40)::int + 0 * g] AS first_name,
         (ARRAY['Müller', 'Schmidt', 'Dubois', 'Martin', 'Rossi', 'Bianchi', 'García', 'Fernández', 'de Vries',
                'Jansen', 'Nielsen', 'Johansson', 'Andersen', 'Nowak', 'Kowalski', 'Smith', 'Johnson', 'Brown',
                'Williams', 'O''Brien', 'Murphy', 'Tanaka', 'Suzuki', 'Sato', 'Patel', 'Sharma', 'Okafor',
                'Mensah', 'Silva', 'Santos', 'Costa', 'Novák', 'Horvat', 'Papadopoulos', 'Yılmaz', 'Kaya',
                'Lindqvist', 'Virtanen', 'Berg', 'Wagner'])
           [1 + floor(random() * 40)::int + 0 * g] AS last_name
) AS n
CROSS JOIN LATERAL (
  SELECT city, country
  FROM (VALUES ('Berlin', 'DE'), ('Hamburg', 'DE'), ('Munich', 'DE'), ('Paris', 'FR'), ('Lyon', 'FR'),
               ('Milan', 'IT'), ('Rome', 'IT'), ('Madrid', 'ES'), ('Barcelona', 'ES'), ('Amsterdam', 'NL'),
               ('Rotterdam', 'NL'), ('Copenhagen', 'DK'), ('Stockholm', 'SE'), ('Oslo', 'NO'), ('Helsinki', 'FI'),
               ('Warsaw', 'PL'), ('Prague', 'CZ'), ('Vienna', 'AT'), ('Zurich', 'CH'), ('Dublin', 'IE'),
               ('London', 'GB'), ('Manchester', 'GB'), ('Lisbon', 'PT'), ('Athens', 'GR'), ('Istanbul', 'TR'),
               ('New York', 'US'), ('Chicago', 'US'), ('Austin', 'US'), ('Toronto', 'CA'), ('Tokyo', 'JP'),
               ('Osaka', 'JP'), ('Bangalore', 'IN'), ('Lagos', 'NG'), ('Accra', 'GH'), ('São Paulo', 'BR'))
         AS c(city, country)
  ORDER BY random() + 0 * g
  LIMIT 1
) AS c
WHERE NOT EXISTS (SELECT 1 FROM public.customers);

-- Products -------------------------------------------------------------------------------------
INSERT INTO public.products (sku, name, category, price_cents, stock, created_at)
SELECT sku, name, category, price_cents, (random() * 250)::int, now() - make_interval(days => 400 + (random() * 300)::int)
FROM (VALUES
  ('KIT-001', 'Cast Iron Skillet 26 cm', 'kitchen', 3490),
  ('KIT-002', 'Chef''s Knife 20 cm', 'kitchen', 5900),
  ('KIT-003', 'Bamboo Cutting Board', 'kitchen', 1990),
  ('KIT-004', 'French Press 1 l', 'kitchen', 2950),
  ('KIT-005', 'Enamel Dutch Oven 5 l', 'kitchen', 8900),
  ('KIT-006', 'Burr Coffee Grinder', 'kitchen', 11900),
  ('KIT-007', 'Linen Tea Towels (set of 3)', 'kitchen', 1690),
  ('KIT-008', 'Stoneware Mug 350 ml', 'kitchen', 1290),
  ('HOM-001', 'Wool Throw Blanket', 'home', 7900),
  ('HOM-002', 'Ceramic Table Lamp', 'home', 6450),
  ('HOM-003', 'Scented Candle – Cedar', 'home', 2200),
  ('HOM-004', 'Linen Duvet Cover 200×220', 'home', 12900),
  ('HOM-005', 'Oak Wall Shelf 80 cm', 'home', 4990),
  ('HOM-006', 'Cotton Bath Towel', 'home', 2490),
  ('HOM-007', 'Hand-thrown Vase', 'home', 3800),
  ('OUT-001', 'Trail Running Shoes', 'outdoor', 13900),
  ('OUT-002', 'Insulated Water Bottle 750 ml', 'outdoor', 2990),
  ('OUT-003', 'Lightweight Rain Jacket', 'outdoor', 15900),
  ('OUT-004', 'Merino Wool Socks', 'outdoor', 1890),
  ('OUT-005', 'Daypack 22 l', 'outdoor', 8900),
  ('OUT-006', 'Headlamp 400 lm', 'outdoor', 3990),
  ('OUT-007', 'Camping Stove', 'outdoor', 6990),
  ('ELE-001', 'Wireless Earbuds', 'electronics', 9900),
  ('ELE-002', 'USB-C Charger 65 W', 'electronics', 4490),
  ('ELE-003', 'Mechanical Keyboard', 'electronics', 12900),
  ('ELE-004', 'Portable Speaker', 'electronics', 7990),
  ('ELE-005', 'E-Reader 7"', 'electronics', 14900),
  ('ELE-006', 'Smart Plug (2-pack)', 'electronics', 2990),
  ('ELE-007', 'Noise-cancelling Headphones', 'electronics', 27900),
  ('BOO-001', 'The Pragmatic Programmer', 'books', 4200),
  ('BOO-002', 'Designing Data-Intensive Applications', 'books', 4800),
  ('BOO-003', 'Database Internals', 'books', 4500),
  ('BOO-004', 'The Art of PostgreSQL', 'books', 3900),
  ('BOO-005', 'Site Reliability Engineering', 'books', 4100),
  ('TOY-001', 'Wooden Building Blocks', 'toys', 3490),
  ('TOY-002', 'Jigsaw Puzzle 1000 pcs', 'toys', 1990),
  ('TOY-003', 'Plush Fox', 'toys', 2490),
  ('TOY-004', 'Strategy Board Game', 'toys', 4490),
  ('BEA-001', 'Olive Oil Soap Bar', 'beauty', 690),
  ('BEA-002', 'Hand Cream 75 ml', 'beauty', 1490),
  ('BEA-003', 'Natural Bristle Hairbrush', 'beauty', 2290),
  ('BEA-004', 'Lip Balm (3-pack)', 'beauty', 890)
) AS p(sku, name, category, price_cents)
WHERE NOT EXISTS (SELECT 1 FROM public.products);

-- Orders, most delivered, a few still open or cancelled ----------------------------------------
INSERT INTO public.orders (customer_id, status, ordered_at, shipped_at)
SELECT o.customer_id, o.status, o.ordered_at,
       CASE WHEN o.status IN ('shipped', 'delivered', 'refunded')
            THEN o.ordered_at + make_interval(hours => 6 + (random() * 90)::int) END
FROM (
  -- Ids are contiguous in this fresh load; popular customers order more (a skewed pick).
  SELECT (SELECT min(id) FROM public.customers)
           + floor(power(random(), 1.6) * (SELECT count(*) FROM public.customers))::bigint AS customer_id,
         CASE WHEN r < 0.04 THEN 'pending' WHEN r < 0.10 THEN 'paid' WHEN r < 0.18 THEN 'shipped'
              WHEN r < 0.24 THEN 'cancelled' WHEN r < 0.27 THEN 'refunded' ELSE 'delivered' END AS status,
         now() - make_interval(days => (random() * 365)::int, secs => (random() * 86400)::int) AS ordered_at
  FROM generate_series(1, 900) AS g
  CROSS JOIN LATERAL (SELECT random() + 0 * g AS r) AS rr
) AS o
WHERE NOT EXISTS (SELECT 1 FROM public.orders);

INSERT INTO public.order_items (order_id, product_id, quantity, unit_price_cents)
SELECT o.id, p.id, CASE WHEN random() < 0.8 THEN 1 ELSE 2 + (random() * 2)::int END, p.price_cents
FROM public.orders AS o
CROSS JOIN LATERAL (
  SELECT id, price_cents FROM public.products ORDER BY random() + 0 * o.id LIMIT 1 + (o.id % 4)
) AS p
WHERE NOT EXISTS (SELECT 1 FROM public.order_items);

UPDATE public.orders AS o
SET total_cents = t.total
FROM (SELECT order_id, sum(quantity * unit_price_cents)::int AS total FROM public.order_items GROUP BY order_id) AS t
WHERE t.order_id = o.id AND o.total_cents = 0;

-- Login history (the "audit" schema a DBA may want to keep developers away from) ---------------
INSERT INTO audit.login_history (customer_id, logged_in_at, ip, user_agent, success)
SELECT (SELECT min(id) FROM public.customers) + floor(random() * (SELECT count(*) FROM public.customers))::bigint,
       now() - make_interval(days => (random() * 120)::int, secs => (random() * 86400)::int),
       ('198.51.100.' || (1 + floor(random() * 254)::int))::inet,
       (ARRAY['Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15',
              'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36',
              'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0',
              'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148',
              'ShopApp/4.2.1 (Android 14; Pixel 8)'])[1 + floor(random() * 5)::int + 0 * g],
       random() > 0.08
FROM generate_series(1, 1200) AS g
WHERE NOT EXISTS (SELECT 1 FROM audit.login_history);

-- A view that reporting tools (and the mesh's read replicas) typically serve.
CREATE OR REPLACE VIEW public.customer_order_summary AS
SELECT c.id AS customer_id, c.email, c.country, count(o.id) AS orders,
       coalesce(sum(o.total_cents) FILTER (WHERE o.status NOT IN ('cancelled', 'refunded')), 0) AS revenue_cents,
       max(o.ordered_at) AS last_order_at
FROM public.customers AS c
LEFT JOIN public.orders AS o ON o.customer_id = c.id
GROUP BY c.id;

ANALYZE;
