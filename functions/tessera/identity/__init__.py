"""Who is asking: staff (the user pool) and customers (magic links, sessions, ticket links),
the signed tokens they carry, and what each may see and do."""
