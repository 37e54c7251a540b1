-- A small trading company (modelled on the structure of the well-known trading sample):
-- customers keyed by a five-character code, suppliers and products, employees who report
-- to employees and cover sales territories (a junction table), orders, order details
-- keyed by (order, product), and order notes numbered within their order.

CREATE TABLE categories (
    category_id SMALLINT PRIMARY KEY,
    category_name VARCHAR(15) NOT NULL,
    description TEXT
);

CREATE TABLE suppliers (
    supplier_id SMALLINT PRIMARY KEY,
    company_name VARCHAR(40) NOT NULL,
    contact_name VARCHAR(30),
    contact_title VARCHAR(60),
    address VARCHAR(60),
    city VARCHAR(25),
    region VARCHAR(15),
    postal_code VARCHAR(10),
    country VARCHAR(60),
    phone VARCHAR(24) CHECK (phone <> ''),
    homepage TEXT
);

CREATE TABLE products (
    product_id SMALLINT PRIMARY KEY,
    product_name VARCHAR(40) NOT NULL,
    supplier_id SMALLINT NOT NULL REFERENCES suppliers,
    category_id SMALLINT REFERENCES categories,
    quantity_per_unit VARCHAR(20),
    unit_price REAL CHECK (unit_price >= 0),
    units_in_stock SMALLINT CHECK (units_in_stock >= 0),
    units_on_order SMALLINT CHECK (units_on_order >= 0),
    reorder_level SMALLINT,
    discontinued BOOLEAN NOT NULL
);

CREATE TABLE region (
    region_id SMALLINT PRIMARY KEY,
    region_description VARCHAR(50) NOT NULL
);

CREATE TABLE territories (
    territory_id VARCHAR(20) PRIMARY KEY,
    territory_description VARCHAR(60) NOT NULL,
    region_id SMALLINT NOT NULL REFERENCES region (region_id)
);

CREATE TABLE employees (
    employee_id SMALLINT PRIMARY KEY,
    last_name VARCHAR(20) NOT NULL,
    first_name VARCHAR(10) NOT NULL,
    title VARCHAR(60),
    title_of_courtesy VARCHAR(25) CHECK (title_of_courtesy IN ('Mr.', 'Ms.', 'Mrs.', 'Dr.')),
    birth_date DATE,
    hire_date DATE,
    city VARCHAR(25),
    country VARCHAR(60),
    home_phone VARCHAR(24),
    salary NUMERIC(10, 2) CHECK (salary > 0),
    reports_to SMALLINT,
    CONSTRAINT employees_reports_to_fk FOREIGN KEY (reports_to) REFERENCES employees
);

CREATE TABLE employee_territories (
    employee_id SMALLINT NOT NULL REFERENCES employees,
    territory_id VARCHAR(20) NOT NULL REFERENCES territories,
    PRIMARY KEY (employee_id, territory_id)
);

CREATE TABLE customers (
    customer_id CHAR(5) PRIMARY KEY,
    company_name VARCHAR(40) NOT NULL,
    contact_name VARCHAR(30),
    contact_title VARCHAR(60),
    address VARCHAR(60),
    city VARCHAR(25),
    postal_code VARCHAR(10),
    country VARCHAR(60),
    phone VARCHAR(24),
    segment VARCHAR(12) NOT NULL CHECK (segment IN ('retail', 'wholesale', 'online'))
);

CREATE TABLE shippers (
    shipper_id SMALLINT PRIMARY KEY,
    company_name VARCHAR(40) NOT NULL,
    phone VARCHAR(24)
);

CREATE TABLE orders (
    order_id SMALLINT PRIMARY KEY,
    customer_id CHAR(5) NOT NULL REFERENCES customers,
    employee_id SMALLINT REFERENCES employees,
    order_date DATE NOT NULL,
    required_date DATE,
    shipped_date DATE,
    ship_via SMALLINT REFERENCES shippers,
    freight REAL DEFAULT 0 CHECK (freight >= 0),
    ship_city VARCHAR(25),
    ship_country VARCHAR(60),
    CHECK (required_date >= order_date),
    CHECK (shipped_date >= order_date)
);

CREATE TABLE order_details (
    order_id SMALLINT NOT NULL REFERENCES orders,
    product_id SMALLINT NOT NULL REFERENCES products,
    unit_price REAL NOT NULL CHECK (unit_price >= 0),
    quantity SMALLINT NOT NULL CHECK (quantity > 0),
    discount REAL NOT NULL CHECK (discount BETWEEN 0 AND 1),
    PRIMARY KEY (order_id, product_id)
);

CREATE TABLE order_notes (
    order_id SMALLINT NOT NULL REFERENCES orders,
    note_no SMALLINT NOT NULL,
    body TEXT NOT NULL,
    written_at TIMESTAMP NOT NULL,
    PRIMARY KEY (order_id, note_no)
);

CREATE VIEW product_sales AS
    SELECT p.product_name, sum(d.unit_price * d.quantity) AS sales
    FROM order_details d JOIN products p USING (product_id)
    GROUP BY p.product_name;
