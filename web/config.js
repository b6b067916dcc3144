// Where the dashboard finds the API. "" = same origin (served by the API process).
// For a static deployment (S3/CloudFront) set it to the API's base URL, e.g.
// window.COVID_ETL_API = "https://abc123.execute-api.us-east-1.amazonaws.com";
window.COVID_ETL_API = "";
