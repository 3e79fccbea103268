"""``edu-wallet``: keys and verification for teachers, students and schools, without the registry."""
