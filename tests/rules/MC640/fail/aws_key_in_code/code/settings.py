AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
DB = "postgresql://svc:s3cr3t-pw@db.internal:5432/prod"
PLACEHOLDER = "postgresql://user:${DB_PASSWORD}@host/db"
