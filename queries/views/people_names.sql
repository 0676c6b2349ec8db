-- Every name a person goes by at $as_of (views/people_at.sql: their e-mail, logins, IAM user
-- names, SSO session names, identity-store ids), lower-cased, with the person it is: the one
-- place a name in another system becomes a person. A name two people share maps to neither
-- (it is left out: the access it holds is nobody's until the aliases say whose).
SELECT alias, MIN(person) AS person
FROM (SELECT person, unnest(aliases) AS alias FROM people_at) a
WHERE alias IS NOT NULL
GROUP BY alias
HAVING COUNT(DISTINCT person) = 1
