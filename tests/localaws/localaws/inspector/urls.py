"""Inspector Classic endpoints: every operation is a POST to / with an X-Amz-Target header."""

from .responses import InspectorResponse

url_bases = [r"https?://inspector\.(.+)\.amazonaws\.com"]

url_paths = {"{0}/$": InspectorResponse.dispatch}
