"""Image Processor core: the only package that talks to AWS.

Settings, models, the AWS client factory, imaging, safe fetching, the store and its queries,
the producer and the CloudWatch Logs reader. No Streamlit or Lambda imports live here.
"""
