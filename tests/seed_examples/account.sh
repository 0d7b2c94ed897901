curl https://dx.gl/v1/account \
  -H "Authorization: Bearer dxgl_sk_..."
