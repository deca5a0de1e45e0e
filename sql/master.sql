-- The customer master: exports of sources of kind customers land in
-- master_customers as they are read (pipeline/ingest_customers.go); these
-- statements, run after the sales lines are merged, make customers mirror it.

-- name: KeepLatestMaster
-- A master export is the full customer list of its ledger: the latest
-- loaded file of a ledger replaces the earlier ones.
DELETE FROM master_customers m
WHERE file_id < (SELECT max(file_id) FROM master_customers x WHERE x.ledger = m.ledger);

-- name: RefreshMaster
-- Customers of the master take its code, name, address, contact, phone and
-- category. A customer in the masters of two ledgers takes the latest file's.
INSERT INTO customers (customer_key, customer_code, customer_name, address, contact, phone, master_category, in_master)
SELECT customer_key,
       arg_max(customer_code, file_id),
       arg_max(customer_name, file_id),
       arg_max(address, file_id),
       arg_max(contact, file_id),
       arg_max(phone, file_id),
       arg_max(category, file_id),
       true
FROM master_customers
GROUP BY customer_key
ON CONFLICT (customer_key) DO UPDATE SET
    customer_code = coalesce(excluded.customer_code, customers.customer_code),
    customer_name = coalesce(excluded.customer_name, customers.customer_name),
    address = excluded.address,
    contact = excluded.contact,
    phone = excluded.phone,
    master_category = excluded.master_category,
    in_master = true;

-- name: RetireMaster
-- Customers a master no longer lists leave it; those without sales go.
DELETE FROM customers
WHERE in_master AND NOT in_sales
  AND customer_key NOT IN (SELECT customer_key FROM master_customers);
UPDATE customers
SET in_master = false, address = NULL, contact = NULL, phone = NULL, master_category = NULL
WHERE in_master AND customer_key NOT IN (SELECT customer_key FROM master_customers);
