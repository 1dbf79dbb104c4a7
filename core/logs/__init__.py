"""The consumer's CloudWatch Logs as the dashboard's Logs page reads them (not shipped in the Lambda zip)."""
