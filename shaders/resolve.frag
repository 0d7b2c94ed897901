// 2× SSAA resolve at output size: one bilinear fetch at the centre of each 2×2 block of
// the supersampled buffer is their exact box average (in linear light: the buffer is an
// sRGB texture, decoded before filtering). The colour is un-premultiplied, encoded to
// sRGB and darkened by the vignette; then the backdrop (background colour or image, the
// vignette already applied) goes under it, or, for transparent output, it is written
// with straight alpha. Rows are written top-first so the read-back needs no flip.

#include "tonemap.glsl"

uniform sampler2D u_scene;       // premultiplied linear, 2× output size, sRGB-encoded
uniform sampler2D u_background;  // the backdrop: output size, top row first, vignetted
uniform bool u_transparent;
uniform float u_vignette;
uniform vec2 u_output_size;
out vec4 f_color;

void main() {
    // Framebuffer row k is read back as memory row k: treat it as image row k from the top.
    vec2 pixel = gl_FragCoord.xy;
    vec2 scene_uv = vec2(pixel.x / u_output_size.x, 1.0 - pixel.y / u_output_size.y);
    vec4 scene = texture(u_scene, scene_uv);
    vec3 color = vec3(0.0);
    if (scene.a > 0.0) {  // a real branch: blocks of pure background skip the encode
        color = linear_to_srgb(scene.rgb / scene.a);
    }
    vec2 centered = (pixel / u_output_size) * 2.0 - 1.0;
    float r = length(centered) / sqrt(2.0);
    color *= 1.0 - u_vignette * 0.65 * smoothstep(0.35, 1.0, r);  // as vignette_factor()
    if (u_transparent) {
        f_color = vec4(color, scene.a);
    } else {
        vec3 bg = texelFetch(u_background, ivec2(pixel), 0).rgb;
        f_color = vec4(color * scene.a + bg * (1.0 - scene.a), 1.0);
    }
}
