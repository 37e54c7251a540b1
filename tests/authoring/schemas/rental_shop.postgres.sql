-- A video rental chain (modelled on the structure of the well-known film rental sample):
-- lookups, a film catalogue, junction tables with composite keys, stores whose manager
-- is a staff member while every staff member works in a store (a circular reference),
-- staff who report to staff (a self reference), rentals and payments.

CREATE DOMAIN release_year_t AS integer CHECK (VALUE BETWEEN 1901 AND 2155);

CREATE TYPE audience_rating AS ENUM ('U', 'PG', '12A', '15', '18');

CREATE TABLE language (
    language_id SERIAL PRIMARY KEY,
    name VARCHAR(20) NOT NULL UNIQUE,
    last_update TIMESTAMP NOT NULL DEFAULT now()
);

CREATE TABLE country (
    country_id SERIAL PRIMARY KEY,
    country VARCHAR(60) NOT NULL
);

CREATE TABLE city (
    city_id SERIAL PRIMARY KEY,
    city VARCHAR(50) NOT NULL,
    country_id INTEGER NOT NULL REFERENCES country (country_id)
);

CREATE TABLE address (
    address_id SERIAL PRIMARY KEY,
    address VARCHAR(60) NOT NULL,
    address2 VARCHAR(60),
    district VARCHAR(30),
    city_id INTEGER NOT NULL REFERENCES city (city_id),
    postal_code VARCHAR(10),
    phone VARCHAR(25) NOT NULL
);

CREATE TABLE category (
    category_id SERIAL PRIMARY KEY,
    name VARCHAR(25) NOT NULL UNIQUE
);

CREATE TABLE film (
    film_id SERIAL PRIMARY KEY,
    title VARCHAR(128) NOT NULL,
    synopsis TEXT,
    release_year release_year_t,
    language_id INTEGER NOT NULL REFERENCES language (language_id),
    loan_days SMALLINT NOT NULL DEFAULT 3 CHECK (loan_days BETWEEN 1 AND 10),
    rental_rate NUMERIC(4, 2) NOT NULL DEFAULT 2.99 CHECK (rental_rate >= 0),
    running_minutes SMALLINT CHECK (running_minutes > 0),
    replacement_cost NUMERIC(5, 2) NOT NULL CHECK (replacement_cost >= 0),
    rating audience_rating DEFAULT 'PG',
    last_update TIMESTAMP NOT NULL DEFAULT now()
);

CREATE TABLE actor (
    actor_id SERIAL PRIMARY KEY,
    first_name VARCHAR(45) NOT NULL,
    last_name VARCHAR(45) NOT NULL
);

CREATE TABLE film_actor (
    actor_id INTEGER NOT NULL REFERENCES actor (actor_id),
    film_id INTEGER NOT NULL REFERENCES film (film_id),
    PRIMARY KEY (actor_id, film_id)
);

CREATE TABLE film_category (
    film_id INTEGER NOT NULL,
    category_id INTEGER NOT NULL,
    CONSTRAINT film_category_pk PRIMARY KEY (film_id, category_id),
    CONSTRAINT film_category_film_fk FOREIGN KEY (film_id) REFERENCES film (film_id),
    CONSTRAINT film_category_category_fk FOREIGN KEY (category_id) REFERENCES category (category_id)
);

CREATE TABLE store (
    store_id SERIAL PRIMARY KEY,
    manager_staff_id INTEGER NOT NULL UNIQUE,
    address_id INTEGER NOT NULL REFERENCES address (address_id)
);

CREATE TABLE staff (
    staff_id SERIAL PRIMARY KEY,
    first_name VARCHAR(45) NOT NULL,
    last_name VARCHAR(45) NOT NULL,
    address_id INTEGER NOT NULL REFERENCES address (address_id),
    email VARCHAR(100),
    store_id INTEGER NOT NULL REFERENCES store (store_id),
    reports_to INTEGER REFERENCES staff (staff_id),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    username VARCHAR(30) NOT NULL,
    photo BYTEA,
    last_update TIMESTAMP NOT NULL DEFAULT now()
);

-- The circle closes once both tables exist; deferred so that a load can insert stores first.
ALTER TABLE store ADD CONSTRAINT store_manager_fk FOREIGN KEY (manager_staff_id)
    REFERENCES staff (staff_id) DEFERRABLE INITIALLY DEFERRED;

CREATE TABLE customer (
    customer_id SERIAL PRIMARY KEY,
    store_id INTEGER NOT NULL REFERENCES store (store_id),
    first_name VARCHAR(45) NOT NULL,
    last_name VARCHAR(45) NOT NULL,
    email VARCHAR(100) UNIQUE,
    address_id INTEGER NOT NULL REFERENCES address (address_id),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    joined_on DATE NOT NULL DEFAULT CURRENT_DATE
);

CREATE TABLE inventory (
    inventory_id SERIAL PRIMARY KEY,
    film_id INTEGER NOT NULL REFERENCES film (film_id),
    store_id INTEGER NOT NULL REFERENCES store (store_id)
);

CREATE TABLE rental (
    rental_id SERIAL PRIMARY KEY,
    rented_at TIMESTAMP NOT NULL,
    inventory_id INTEGER NOT NULL REFERENCES inventory (inventory_id),
    customer_id INTEGER NOT NULL REFERENCES customer (customer_id),
    returned_at TIMESTAMP,
    staff_id INTEGER NOT NULL REFERENCES staff (staff_id),
    CONSTRAINT rental_returned_after_rented CHECK (returned_at >= rented_at)
);

CREATE TABLE payment (
    payment_id SERIAL PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customer (customer_id),
    staff_id INTEGER NOT NULL REFERENCES staff (staff_id),
    rental_id INTEGER REFERENCES rental (rental_id),
    amount NUMERIC(5, 2) NOT NULL CHECK (amount >= 0),
    paid_at TIMESTAMP NOT NULL
);

CREATE INDEX film_title_idx ON film (title);

CREATE VIEW customer_list AS
    SELECT c.customer_id, c.first_name || ' ' || c.last_name AS name, a.phone
    FROM customer c JOIN address a ON a.address_id = c.address_id;

CREATE FUNCTION touch_last_update() RETURNS trigger AS $$
BEGIN
    NEW.last_update = now();
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER film_touch BEFORE UPDATE ON film
    FOR EACH ROW EXECUTE PROCEDURE touch_last_update();
