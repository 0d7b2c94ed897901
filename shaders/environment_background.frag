// The environment seen through the camera, drawn into the output-size backdrop each
// frame: the view ray of every pixel looks the map up (turned and scaled like the
// lighting), tone-mapped like the model, sRGB-encoded and vignetted as resolve.frag
// does. Rows are written top-first, like the backdrop image it replaces.

#include "equirect.glsl"
#include "tonemap.glsl"

uniform sampler2D u_env_map;
uniform mat3 u_ray_basis;  // columns: camera right·tan(fov_x/2), up·tan(fov_y/2), forward
uniform vec2 u_env_rotation;
uniform float u_env_intensity;
uniform float u_exposure;
uniform float u_lod;
uniform float u_vignette;
uniform vec2 u_output_size;
out vec4 f_color;

void main() {
    vec2 pixel = gl_FragCoord.xy;  // framebuffer row k is image row k from the top
    vec2 ndc = vec2(pixel.x / u_output_size.x * 2.0 - 1.0, 1.0 - pixel.y / u_output_size.y * 2.0);
    vec3 ray = normalize(u_ray_basis * vec3(ndc, 1.0));
    vec2 uv = dir_to_equirect(env_frame(ray, u_env_rotation));
    vec3 radiance = textureLod(u_env_map, uv, u_lod).rgb * u_env_intensity;
    vec3 color = linear_to_srgb(tone_map(radiance * u_exposure));
    vec2 centered = (pixel / u_output_size) * 2.0 - 1.0;
    float r = length(centered) / sqrt(2.0);
    color *= 1.0 - u_vignette * 0.65 * smoothstep(0.35, 1.0, r);  // as vignette_factor()
    f_color = vec4(color, 1.0);
}
