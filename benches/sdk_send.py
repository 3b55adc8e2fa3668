"""One whole process sending "hi" to the hub with the official SDK (cold start side of benches/run)."""
import os

from azure.messaging.webpubsubservice import WebPubSubServiceClient

client = WebPubSubServiceClient.from_connection_string(
    os.environ["WPS_CONNECTION_STRING"], hub=os.environ.get("WPS_HUB", "chat")
)
client.send_to_all("hi", content_type="text/plain")
