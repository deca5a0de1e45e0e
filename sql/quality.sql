-- The periodic review of customer data: checks of the customer master and
-- of sales against it, as of D ($1), after the snapshot of D is saved.
-- Each finding is one row of quality_issues; quality_checks names them.

-- name: QualityMacros
-- phone_ok(p): every number of the phone cell p is valid. Spaces and
-- brackets are ignored; numbers are separated by / , ; or 、. A number is a
-- mainland mobile (1, then 3-9, then 9 digits) or a landline with its area
-- code (0 and 2-3 digits, an optional -, 7-8 digits, an optional extension
-- of up to 6 digits after -, 转 or #); +86 (or +86-) may come first, and
-- then the 0 of the area code may go.
CREATE OR REPLACE TEMP MACRO phone_ok(p) AS
    list_bool_and(list_transform(
        string_split_regex(regexp_replace(p, '[\s\x{3000}()（）]', '', 'g'), '[/,;，；、]'),
        lambda n: regexp_full_match(n,
            '(?:\+86-?)?1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:(?:-|转|#)\d{1,6})?|\+86-?0?[1-9]\d{1,2}-?\d{7,8}(?:(?:-|转|#)\d{1,6})?')));

-- name: DeleteQuality
DELETE FROM quality_issues WHERE as_of = $1;

-- name: DeleteQualityReview
DELETE FROM quality_reviews WHERE as_of = $1;

-- name: SaveQualityReview
INSERT INTO quality_reviews VALUES ($1, $2);

-- name: SaveQuality
-- The findings as of $1 by run $2. Checks of sales against the master run
-- only once a master is loaded: before, every customer would be missing
-- from it, and no_master says so once instead.
INSERT INTO quality_issues
WITH loaded AS (
    SELECT EXISTS (SELECT 1 FROM master_customers) AS master
),
snap AS (
    SELECT * FROM snapshots WHERE as_of = $1::DATE
),
master AS (
    SELECT * FROM customers WHERE in_master
),
names AS (
    -- Names compared without case and spaces.
    SELECT c.customer_key, c.customer_code, lower(regexp_replace(c.customer_name, '[\s\x{3000}]', '', 'g')) AS name
    FROM customers c
    JOIN snap s USING (customer_key)
    WHERE c.customer_code IS NOT NULL AND trim(coalesce(c.customer_name, '')) <> ''
),
last_sale AS (
    -- customers.last_sale, unless lines dated after the as-of date are
    -- among the customer's: then the latest of those up to it.
    SELECT customer_key, last_sale AS last_date FROM customers WHERE last_sale <= $1::DATE
    UNION ALL
    SELECT customer_key, max(doc_date)
    FROM sales_lines
    WHERE doc_date <= $1::DATE AND customer_key IN (SELECT customer_key FROM customers WHERE last_sale > $1::DATE)
    GROUP BY customer_key
),
issues AS (
    SELECT 'no_master' AS check_name, NULL AS customer_key, 'no customer master loaded' AS detail
    FROM loaded WHERE NOT master
    UNION ALL
    SELECT 'missing_contact', customer_key, '' FROM master WHERE trim(coalesce(contact, '')) = ''
    UNION ALL
    SELECT 'missing_phone', customer_key, '' FROM master WHERE trim(coalesce(phone, '')) = ''
    UNION ALL
    SELECT 'missing_address', customer_key, '' FROM master WHERE trim(coalesce(address, '')) = ''
    UNION ALL
    SELECT 'bad_phone', customer_key, phone
    FROM master
    WHERE trim(coalesce(phone, '')) <> '' AND NOT phone_ok(phone)
    UNION ALL
    SELECT 'duplicate_name', a.customer_key, 'also under ' || string_agg(b.customer_code, ', ' ORDER BY b.customer_code)
    FROM names a
    JOIN names b ON b.name = a.name AND b.customer_key <> a.customer_key
    GROUP BY a.customer_key
    UNION ALL
    SELECT 'not_in_master', s.customer_key, 'last sale ' || coalesce(CAST(l.last_date AS VARCHAR), '-')
    FROM snap s
    JOIN customers c USING (customer_key)
    LEFT JOIN last_sale l USING (customer_key)
    CROSS JOIN loaded
    WHERE loaded.master AND NOT c.in_master
    UNION ALL
    -- The master's category may name the segment by its ERP code, code or name.
    SELECT 'category_differs', s.customer_key,
           'master ' || trim(m.master_category) || ', computed ' || s.segment_code || ' ' || s.segment_name || ' (ERP ' || s.erp_code || ')'
    FROM snap s
    JOIN master m USING (customer_key)
    WHERE trim(coalesce(m.master_category, '')) <> ''
      AND lower(trim(m.master_category)) NOT IN (lower(s.erp_code), lower(s.segment_code), lower(s.segment_name))
    UNION ALL
    -- A code with two names within one file: two customers under one code,
    -- or a rename in the middle of an export.
    SELECT 'code_two_names', c.customer_key,
           string_agg(f.name || ': ' || c.first_name || ' / ' || c.last_name, '; ' ORDER BY c.file_id)
    FROM code_names c JOIN files f USING (file_id)
    WHERE c.customer_key IN (SELECT customer_key FROM snap)
    GROUP BY c.customer_key
)
SELECT $1::DATE, $2, i.check_name, i.customer_key, c.customer_code, c.customer_name, i.detail
FROM issues i
LEFT JOIN customers c USING (customer_key);

-- name: QualityCounts
-- Customers per check as of $1, every check listed, in order.
SELECT k.check_name, k.about, k.needs_master, count(i.check_name)
FROM quality_checks k
LEFT JOIN quality_issues i ON i.check_name = k.check_name AND i.as_of = $1
GROUP BY k.check_name, k.about, k.needs_master, k.position
ORDER BY k.position;

-- name: QualityRows
-- The findings as of $1 for quality.csv: by check, then customer.
SELECT i.check_name,
       coalesce(i.customer_code, i.customer_key, ''),
       coalesce(i.customer_name, ''),
       i.detail
FROM quality_issues i
JOIN quality_checks k USING (check_name)
WHERE i.as_of = $1
ORDER BY k.position, i.customer_key NULLS FIRST;
