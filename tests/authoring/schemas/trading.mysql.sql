-- The trading company in MySQL form: code keys, ENUMs, UNSIGNED ranges, a junction table,
-- a composite key that is not a junction, and foreign keys added by ALTER TABLE.

CREATE TABLE categories (
  category_id SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  category_name VARCHAR(15) NOT NULL,
  description MEDIUMTEXT
) ENGINE=InnoDB;

CREATE TABLE suppliers (
  supplier_id SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  company_name VARCHAR(40) NOT NULL,
  contact_name VARCHAR(30),
  city VARCHAR(25),
  country VARCHAR(60),
  phone VARCHAR(24)
) ENGINE=InnoDB;

CREATE TABLE products (
  product_id SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  product_name VARCHAR(40) NOT NULL,
  supplier_id SMALLINT UNSIGNED NOT NULL,
  category_id SMALLINT UNSIGNED,
  unit_price DECIMAL(10,4) UNSIGNED DEFAULT 0,
  units_in_stock SMALLINT UNSIGNED DEFAULT 0,
  discontinued BIT(1) NOT NULL DEFAULT b'0'
) ENGINE=InnoDB;

CREATE TABLE region (
  region_id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
  region_description VARCHAR(50) NOT NULL
) ENGINE=InnoDB;

CREATE TABLE territories (
  territory_id VARCHAR(20) NOT NULL PRIMARY KEY,
  territory_description VARCHAR(60) NOT NULL,
  region_id TINYINT UNSIGNED NOT NULL
) ENGINE=InnoDB;

CREATE TABLE employees (
  employee_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  last_name VARCHAR(20) NOT NULL,
  first_name VARCHAR(10) NOT NULL,
  title VARCHAR(60),
  title_of_courtesy ENUM('Mr.', 'Ms.', 'Mrs.', 'Dr.'),
  birth_date DATE,
  hire_date DATE,
  salary DECIMAL(10,2),
  reports_to INT,
  CONSTRAINT chk_hired_adult CHECK (hire_date > birth_date)
) ENGINE=InnoDB;

CREATE TABLE employee_territories (
  employee_id INT NOT NULL,
  territory_id VARCHAR(20) NOT NULL,
  PRIMARY KEY (employee_id, territory_id)
) ENGINE=InnoDB;

CREATE TABLE customers (
  customer_id CHAR(5) NOT NULL PRIMARY KEY,
  company_name VARCHAR(40) NOT NULL,
  contact_name VARCHAR(30),
  city VARCHAR(25),
  country VARCHAR(60),
  segment ENUM('retail', 'wholesale', 'online') NOT NULL
) ENGINE=InnoDB;

CREATE TABLE shippers (
  shipper_id TINYINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  company_name VARCHAR(40) NOT NULL,
  phone VARCHAR(24)
) ENGINE=InnoDB;

CREATE TABLE orders (
  order_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  customer_id CHAR(5) NOT NULL,
  employee_id INT,
  order_date DATETIME NOT NULL,
  shipped_date DATETIME,
  ship_via TINYINT UNSIGNED,
  freight DECIMAL(10,4) DEFAULT 0,
  status VARCHAR(10) NOT NULL
) ENGINE=InnoDB;

CREATE TABLE order_details (
  order_id INT NOT NULL,
  product_id SMALLINT UNSIGNED NOT NULL,
  unit_price DECIMAL(10,4) NOT NULL,
  quantity SMALLINT NOT NULL,
  discount DOUBLE NOT NULL DEFAULT 0,
  PRIMARY KEY (order_id, product_id),
  CHECK (quantity > 0),
  CHECK (discount >= 0 AND discount <= 1)
) ENGINE=InnoDB;

CREATE TABLE order_notes (
  order_id INT NOT NULL,
  note_no SMALLINT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (order_id, note_no)
) ENGINE=InnoDB;

ALTER TABLE products
  ADD CONSTRAINT fk_products_supplier FOREIGN KEY (supplier_id) REFERENCES suppliers (supplier_id),
  ADD CONSTRAINT fk_products_category FOREIGN KEY (category_id) REFERENCES categories (category_id);
ALTER TABLE territories
  ADD CONSTRAINT fk_territories_region FOREIGN KEY (region_id) REFERENCES region (region_id);
ALTER TABLE employees
  ADD CONSTRAINT fk_employees_boss FOREIGN KEY (reports_to) REFERENCES employees (employee_id);
ALTER TABLE employee_territories
  ADD CONSTRAINT fk_et_employee FOREIGN KEY (employee_id) REFERENCES employees (employee_id),
  ADD CONSTRAINT fk_et_territory FOREIGN KEY (territory_id) REFERENCES territories (territory_id);
ALTER TABLE orders
  ADD CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (customer_id),
  ADD CONSTRAINT fk_orders_employee FOREIGN KEY (employee_id) REFERENCES employees (employee_id),
  ADD CONSTRAINT fk_orders_shipper FOREIGN KEY (ship_via) REFERENCES shippers (shipper_id);
ALTER TABLE order_details
  ADD CONSTRAINT fk_od_order FOREIGN KEY (order_id) REFERENCES orders (order_id),
  ADD CONSTRAINT fk_od_product FOREIGN KEY (product_id) REFERENCES products (product_id);
ALTER TABLE order_notes
  ADD CONSTRAINT fk_notes_order FOREIGN KEY (order_id) REFERENCES orders (order_id);
