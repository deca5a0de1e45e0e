-- The date of each customer's latest sales line: a run then reads only its
-- own lines to refresh the code and name of the customers it touches
-- (RefreshCustomers in sql/ingest.sql), not every line of theirs.
ALTER TABLE customers ADD COLUMN last_sale DATE;
UPDATE customers SET last_sale = l.last_sale
FROM (SELECT customer_key, max(doc_date) AS last_sale FROM sales_lines GROUP BY customer_key) l
WHERE customers.customer_key = l.customer_key;
