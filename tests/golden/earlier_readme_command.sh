# The earlier system's README command, verbatim (its users have it in their scripts).
aws kinesis put-record --stream-name image-events --partition-key 1 --data "$(echo -n '{\"ImageUrl\": \"http://example.com/image.jpg\", \"Description\": \"Test image event from Kinesis\"}' | base64)"
